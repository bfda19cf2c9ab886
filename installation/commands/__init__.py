"""The `dreamdraw` subcommands, one module per part; each only parses and calls library code."""
