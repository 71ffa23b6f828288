"""What people call the file types they meet, and the icon family of each (no imports)."""

# Readable names for the types people meet, in error messages and lists.
TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "text/plain": "texte",
    "text/csv": "CSV",
    "application/zip": "ZIP",
    "application/msword": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.oasis.opendocument.text": "OpenDocument texte",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument tableur",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument présentation",
    "text/html": "HTML",
    "image/svg+xml": "SVG",
}

# Families of types, for the icon shown where there is no thumbnail (CSS, no image).
KIND_OF_TYPE = {
    "application/pdf": "pdf",
    "text/plain": "text",
    "text/csv": "sheet",
    "application/zip": "archive",
    "application/msword": "text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "text",
    "application/vnd.oasis.opendocument.text": "text",
    "application/vnd.ms-excel": "sheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "sheet",
    "application/vnd.oasis.opendocument.spreadsheet": "sheet",
    "application/vnd.ms-powerpoint": "slides",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "slides",
    "application/vnd.oasis.opendocument.presentation": "slides",
}


def type_label(mime_type: str) -> str:
    return TYPE_LABELS.get(mime_type, mime_type)


def kind_of(mime_type: str) -> str:
    return "image" if mime_type.startswith("image/") else KIND_OF_TYPE.get(mime_type, "other")
