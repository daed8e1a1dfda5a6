"""Migration modules: mNNNN_name.py, each with up(conn). Never edit one that has shipped; add a new one."""
