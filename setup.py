"""Builds the optional C accelerator; everything else is in pyproject.toml.

``optional=True``: where the extension cannot be compiled (no C compiler),
the install goes on and unitensor runs its pure-Python fast paths.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("unitensor._speedups", ["unitensor/_speedups.c"], optional=True)])
