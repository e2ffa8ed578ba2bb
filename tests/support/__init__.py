"""Helpers the tests share: running coco in-process, files, servers, compilers, browsers, golden files."""
