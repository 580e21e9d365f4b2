from quickcrm.cli.main import main

main()
