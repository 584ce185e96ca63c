"""Citizens' messages and the coordination of replies (order 1.2.3): see service.py."""
