"""Reading the event archive: finding files, decompressing them, splitting and classifying lines, ``coco check``.

The bottom of the reading pipeline (archive -> store -> sources -> core -> render -> cli): nothing here imports
the store, a source or the command line.
"""
