"""Local Sphinx tweaks for the scalelab book.

- Jupyter Book 1 registers sphinx-thebe's inline configuration script twice, and the
  second copy throws "Identifier 'THEBE_JS_URL' has already been declared" in every
  browser console; identical script entries are dropped from each page.
"""

from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    seen = set()
    unique = []
    for script in context.get("script_files", []):
        # The copies differ only in filename None vs "" (both mean an inline script).
        name = getattr(script, "filename", script) or ""
        key = (str(name), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedupe_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
