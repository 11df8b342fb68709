"""Media: validation and normalisation of uploaded images and videos."""
