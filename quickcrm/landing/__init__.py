"""Landing pages for prospects (seed 000, "Doel"): a public QuickScan at /l/{slug} that
turns a confirmed visitor into a prospect relation."""
