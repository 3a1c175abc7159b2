"""How the examples gallery runs the scripts of ``examples/`` and shows their figures.

Every example takes the folder to save its figures in as its first argument
(``python examples/NAME.py [OUTPUT_DIR]``). In the gallery build,
:func:`output_argv` gives each example a fresh folder of its own, and
:func:`saved_figures` (an image scraper, run after each code block) puts
every image the block saved there into the page, in the order they were
written. So the gallery shows exactly the figures an example saves when run
by hand, and a new example needs nothing but its file in ``examples/``.
Open pyplot figures are shown too (sphinx-gallery's own matplotlib scraper);
an example that saves a pyplot figure closes it, or it shows twice.

Both are named in ``conf.py`` by their import path, so that the Sphinx
configuration stays picklable.
"""

import shutil
import tempfile
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

#: the image files an example may save
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")

_ROOT = Path(tempfile.mkdtemp(prefix="sklimpute-gallery-"))
_shown = {}  # example path -> the files already put into its page


def example_output_dir(src_file):
    """The folder the example ``src_file`` saves its figures in during the build."""
    return _ROOT / Path(src_file).stem


def output_argv(gallery_conf, script_vars):
    """``sys.argv[1:]`` of an example: its (emptied) output folder."""
    src_file = script_vars["src_file"]
    out = example_output_dir(src_file)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    _shown[str(src_file)] = set()
    return [str(out)]


def saved_figures(block, block_vars, gallery_conf):
    """Image scraper: the images the last block saved in the example's output folder."""
    src_file = str(block_vars["src_file"])
    out = example_output_dir(src_file)
    if not out.is_dir():
        return ""
    shown = _shown.setdefault(src_file, set())
    new = sorted((p for p in out.rglob("*")
                  if p.suffix.lower() in IMAGE_SUFFIXES and p not in shown),
                 key=lambda p: (p.stat().st_mtime_ns, p.name))
    paths = []
    iterator = block_vars["image_path_iterator"]
    for saved in new:
        shown.add(saved)
        target = Path(next(iterator)).with_suffix(saved.suffix.lower())
        shutil.copyfile(saved, target)
        paths.append(str(target))
    if not paths:
        return ""
    return figure_rst(paths, gallery_conf["src_dir"])


def cleanup():
    """Remove the examples' output folders (called when the build ends)."""
    shutil.rmtree(_ROOT, ignore_errors=True)


