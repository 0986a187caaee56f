"""Processes other than web servers that follow the switch: commands, workers."""
