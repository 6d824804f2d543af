"""Modules, speakers, lectures, guides, glossary and bibliography: the public catalogue and content files."""
