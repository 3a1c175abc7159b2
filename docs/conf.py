"""Sphinx configuration of the sklimpute documentation.

Build from the repository root with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Nothing is fetched from the network: no intersphinx, and the only theme is
Sphinx's built-in ``alabaster``. The build runs every script of ``examples/``
(the gallery, sphinx-gallery), on one thread.
"""

import os
import sys

# The examples run inside this process: one torch / BLAS thread (set before
# torch is imported), so that the gallery's time does not depend on the
# machine's cores and a shared machine is not oversubscribed.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

# Import the package from the checkout, without installing it; the gallery's
# helpers from docs/sphinxext.
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "sphinxext"))

import sklimpute  # noqa: E402
from sklimpute.models import REGISTRY  # noqa: E402


def write_imputer_list(path):
    """The API reference's list of imputers, from the registry (no hand-kept list)."""
    lines = [".. autosummary::", ""] + [f"   {e.cls.__name__}" for e in REGISTRY.values()]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


write_imputer_list(os.path.join(os.path.dirname(__file__), "api", "generated", "imputers.inc"))

# -- Project -----------------------------------------------------------------
project = "sklimpute"
author = "the sklimpute developers"
copyright = "the sklimpute developers"
version = sklimpute.__version__
release = sklimpute.__version__

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "sphinxext", "Thumbs.db", ".DS_Store"]
root_doc = "index"
language = "en"

# -- autodoc / autosummary ---------------------------------------------------
# Stubs are written to docs/api/generated (git-ignored) at every build.
autosummary_generate = True
autosummary_generate_overwrite = True
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_member_order = "bysource"
# An override without a docstring (forward, extra_repr, skorch callback hooks)
# is left out, instead of repeating torch's or skorch's generic text.
autodoc_inherit_docstrings = False

# -- numpydoc ----------------------------------------------------------------
# The class templates list the members themselves; numpydoc's own member
# tables would document every method twice.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# -- examples gallery (sphinx-gallery) ----------------------------------------
# Every .py file of examples/ is run and becomes a page of docs/auto_examples
# (generated, git-ignored), with the figures it saves: each example takes
# its output folder as its first argument (docs/sphinxext/gallery_figures.py).
# Adding a file to examples/, with a header docstring (a title underlined
# with "=" and a paragraph), is all it takes. sphinx-gallery runs a script
# without ``__file__``.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",  # run every example, not only plot_*.py
    "ignore_pattern": r"__init__\.py",
    "reset_argv": "gallery_figures.output_argv",
    "image_scrapers": ("matplotlib", "gallery_figures.saved_figures"),
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,  # a failing example fails the build
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 0,
    # an example shows what it prints, as when run by hand (not the repr of
    # a block's last value, such as the Figure a plotting function returns)
    "capture_repr": (),
    "show_memory": False,
}

# -- HTML --------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"sklimpute {release}"
html_theme_options = {
    "description": "Deep generative imputers as scikit-learn estimators",
    "fixed_sidebar": True,
    "show_related": False,
}
html_sidebars = {
    "**": ["about.html", "navigation.html", "relations.html", "searchbox.html"],
}
html_show_sourcelink = False


def setup(app):
    import gallery_figures

    app.connect("build-finished", lambda app, exception: gallery_figures.cleanup())
