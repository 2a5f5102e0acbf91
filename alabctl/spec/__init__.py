"""The manifest language: files -> typed, cross-checked manifests, with located diagnostics.

Steps, in order (each a module):

1. ``loader``: find ``-f`` inputs, read, render ``*.yaml.j2`` (``template``), parse YAML with a
   source map (``yamlsrc``), cached by content (``cache``); keep ``apiVersion: alabctl/*`` documents.
2. ``schema``: validate each document against its kind (``kinds``) and turn pydantic's errors into
   diagnostics at the YAML node at fault.
3. ``lock``: read ``alabctl.lock``, the pinned hub assets.
4. ``repository`` + ``refs``: index the manifests and check references, duplicates and files.

``validate.load_repository`` runs them all. Problems are ``diagnostics.Diagnostic`` values with
codes from ``codes``; nothing here touches the network or writes outside the user's cache folder.
"""
