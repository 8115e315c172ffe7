"""Moving in from WordPress: read an export file (WXR), import it, and answer its old addresses.

- ``wxr``: a streaming reader for the export file (one top-level element in memory at a time);
- ``content``: WordPress post and comment HTML turned into what our posts and comments store;
- ``importer``: writes authors, tags, posts and comments, keyed on WordPress ids (idempotent);
- ``redirects``: the blueprint that answers WordPress addresses with 301s to ours.
"""
