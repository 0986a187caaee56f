"""
The SQL wing: reading statement text as each database does, and deciding
whether it only reads.

It imports nothing else from the package. ``lexing`` and one module per
dialect turn text into tokens with the rules of the server's own scanner,
``classify`` gives the tokens their meaning, ``verdicts`` caches the result,
``sessions`` remembers per connection the cursors and prepared statements
seen over reads, ``targets`` finds the one table an allowed write touches, and
``text`` turns driver objects into text and text into short messages.
"""
