"""The moderation rules editor: administrators add, edit and disable terms and regexes at run time."""
