"""Word glosses on notes: pinyin and English senses for Chinese words, Chinese entries for English
words, from CC-CEDICT (``translation.glossary``); docs/translation.md, "Word glosses"."""
