"""`python -m dreamdraw`: the same as the `dreamdraw` command."""

from dreamdraw.installation.cli import main

if __name__ == "__main__":
    main()
