"""Starting the Qt application (window shell; grows with the desktop-app issue)."""

from __future__ import annotations

import os
import sys


def run_app(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    data_dir = argv[1] if len(argv) >= 2 and argv[0] == "--data-dir" else None
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Encore")
    window = QMainWindow()
    window.setWindowTitle("Encore")
    window.setCentralWidget(QLabel(f"Encore — library at {data_dir or os.environ.get('ENCORE_DATA_DIR', 'default')}"))
    window.resize(1100, 700)
    window.show()
    return app.exec()
