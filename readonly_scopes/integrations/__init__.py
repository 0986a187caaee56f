"""Processes other than web requests that follow the site switch."""
