"""The Typer CLI: one module per command group; each command parses, calls one service
function and prints. Heavy libraries are imported inside the commands so that
``quickcrm --help`` starts fast."""
