"""Development tools shipped with the package but not used by ``coco`` at run time (the fleet-day generator)."""
