"""One module per paper: its torch modules, its skorch net and its imputer."""
