"""Sphinx configuration of the sklimpute documentation.

Build from the repository root with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Nothing is fetched from the network: no intersphinx, and the only theme is
Sphinx's built-in ``alabaster``.
"""

import os
import sys

# Import the package from the checkout, without installing it.
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

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
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "Thumbs.db", ".DS_Store"]
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
