"""Show in folder: open the system's file manager at an item's folder, with the file selected where the
platform allows it (Windows Explorer, macOS Finder, a freedesktop file manager over D-Bus); anywhere
else the folder opens with QDesktopServices."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices

from core.errors import plain_error

FILE_MANAGER_SERVICE = "org.freedesktop.FileManager1"  # Nautilus, Dolphin, Nemo, Caja, Thunar, PCManFM-Qt


def open_url(url: QUrl) -> bool:
    """Open a URL with the desktop's handler (tests replace this)."""
    return QDesktopServices.openUrl(url)


def select_in_file_manager(path: str) -> bool:
    """Ask the platform's file manager to show `path` selected; False when it cannot be asked."""
    if sys.platform == "win32":
        return QProcess.startDetached("explorer.exe", ["/select,", os.path.normpath(path)])[0]
    if sys.platform == "darwin":
        return QProcess.startDetached("open", ["-R", path])[0]
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusMessage
    except ImportError:  # a Qt build without D-Bus
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    names = bus.interface()
    registered = names.isServiceRegistered(FILE_MANAGER_SERVICE)
    known = bool(registered.value()) if hasattr(registered, "value") else bool(registered)
    if not known:
        activatable = getattr(names, "activatableServiceNames", None)
        listed = activatable() if callable(activatable) else []
        names_list = listed.value() if hasattr(listed, "value") else listed
        if FILE_MANAGER_SERVICE not in (names_list or []):
            return False
    message = QDBusMessage.createMethodCall(FILE_MANAGER_SERVICE, "/org/freedesktop/FileManager1",
                                            FILE_MANAGER_SERVICE, "ShowItems")
    message.setArguments([[QUrl.fromLocalFile(path).toString()], ""])
    return bus.send(message)  # not waited for: the window never blocks on the file manager


def show_in_folder(path: str) -> bool:
    """Open the folder that holds `path` in the file manager, selecting the file where the platform allows.
    False when there is no such folder (the file's drive is gone) or nothing could open it."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return False
    if os.path.exists(path) and select_in_file_manager(path):
        return True
    return open_url(QUrl.fromLocalFile(folder))


def show_item_in_folder(library, item_id: int) -> str | None:
    """"Show in folder" for a library item (any list's context menu can offer it): None when the file
    manager opened, else what to tell the user."""
    try:
        path = library.file_path(item_id)
    except Exception as exc:  # noqa: BLE001 - gone meanwhile, or the library is damaged: say so
        return plain_error(exc, "find the file")
    if show_in_folder(path):
        return None
    return f"Could not open the folder of {path} (is its drive connected?)"
