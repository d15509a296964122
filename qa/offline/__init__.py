"""Offline answering, the default: the answer is the sources' own sentences. The retrieved
passages are read sentence by sentence (sentences), a fitted reader judges them (reader, with its
weights in reader.json), and `ExtractiveAnswerer` quotes the best or refuses (extractive)."""

from qa.offline.extractive import ExtractiveAnswerer

__all__ = ["ExtractiveAnswerer"]
