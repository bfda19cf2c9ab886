"""dreamdraw: a visitor tells a dream, CLIPDraw draws it, a pen plotter plots it.

This folder is the `dreamdraw` package itself; the parts live in the top-level folders
and are installed beneath it (`dreamdraw.installation`, `dreamdraw.drawing`,
`dreamdraw.plotter`, `dreamdraw.speech`, `dreamdraw.archive`, `dreamdraw.analysis`).
Importing it loads nothing else.
"""
