"""The application model: what the window shows and edits, without Qt.

Evented state (psygnal) that views bind to: the tools and their settings, the
preferences, and the workspace that joins them to what is stored between
sessions. Nothing here imports a widget, so it is tested without a window.
"""
