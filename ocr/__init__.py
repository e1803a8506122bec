"""The engine: images, preprocessing, line geometry, Tesseract, training, metrics, Greek text.

Pure Python, no Dash: every function here is usable from the CLI and unit-tested on its own.
"""
