"""The app's own small web server: the plan's ICS feed and HTML page at secret links."""
