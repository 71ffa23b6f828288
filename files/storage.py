"""Local storage for shared files: a folder with no URL at all.

Django's FileSystemStorage falls back to MEDIA_URL for `url()`; shared files must never
have a public address, so asking for one is an error: they leave only through the download
views, which check policy on every request.
"""

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    def url(self, name):
        raise NotImplementedError("Shared files have no public URL: use the download views.")
