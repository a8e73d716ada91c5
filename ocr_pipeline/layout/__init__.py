"""Layout: rules, columns, regions, blocks, reading order and articles on a page."""
