"""The ``coco`` command line (``app``: the commands; ``launch``: the console script).

Importing this package imports nothing: ``cli.launch`` starts before typer and the commands are imported.
"""
