"""The sandbox: the whole desk against local emulators, with demo people and a web page."""
