"""Local Sphinx tweaks for the scalelab book.

- Jupyter Book 1 registers sphinx-thebe's inline configuration script twice, and the
  second copy throws "Identifier 'THEBE_JS_URL' has already been declared" in every
  browser console; identical script entries are dropped from each page.
- docutils marks bibliography entries ``role="doc-biblioentry"`` inside a
  ``role="list"`` container; that role is deprecated and not a list item (axe:
  aria-required-children), so entries get ``role="listitem"``.
- Figures are saved by matplotlib as 24-bit PNGs; after the build each PNG in
  ``_images`` is re-encoded with a 256-colour palette (line charts use a handful of
  colours, so nothing visible changes) and kept only if that is smaller.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


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


def _bibliography_roles(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def compress_png(path: Path) -> None:
    """Re-encode ``path`` as a palette PNG if that makes it smaller."""
    with Image.open(path) as image:
        if image.mode == "P":
            return
        quantized = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    quantized.save(buffer, format="PNG", optimize=True)
    if buffer.tell() < path.stat().st_size:
        path.write_bytes(buffer.getvalue())


def _compress_images(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        for path in Path(app.outdir, "_images").glob("*.png"):
            compress_png(path)


def setup(app):
    app.connect("html-page-context", _dedupe_scripts)
    app.connect("html-page-context", _bibliography_roles)
    app.connect("build-finished", _compress_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
