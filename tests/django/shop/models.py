"""Every on_delete Django has, and the shapes fkpurge_model must write: a
self-reference, a many-to-many, multi-table inheritance, a to_field key, SET(...)
with a constant and with a callable, a ForeignObject over two columns, a
GenericForeignKey and a GenericRelation.
Author is the purge's root (tests/e2e/django.bash); author 1 is the placeholder
that SET_DEFAULT and SET(1) point at."""

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


def placeholder_author():
    return Author.objects.get(pk=1)


class Author(models.Model):
    code = models.CharField(max_length=20, unique=True)


class Tag(models.Model):
    name = models.CharField(max_length=20)
    notes = GenericRelation("Note")


class Book(models.Model):
    author = models.ForeignKey(Author, models.CASCADE)
    # SET(constant): SET_DEFAULT with that default in the model.
    translator = models.ForeignKey(Author, models.SET(1), null=True, related_name="translated")
    # SET(callable): PROTECT in the model, and a warning.
    editor = models.ForeignKey(Author, models.SET(placeholder_author), null=True, related_name="edited")
    tags = models.ManyToManyField(Tag)


class Edition(models.Model):
    book = models.ForeignKey(Book, models.SET_NULL, null=True)


class Review(models.Model):
    book = models.ForeignKey(Book, models.CASCADE)
    reply_to = models.ForeignKey("self", models.CASCADE, null=True)


class Loan(models.Model):
    author = models.ForeignKey(Author, models.SET_DEFAULT, default=1)


class Contract(models.Model):
    author = models.ForeignKey(Author, models.PROTECT)


class Song(models.Model):
    # Django's RESTRICT example: deleting the author deletes the book and the
    # song together, so the book's RESTRICT does not block.
    author = models.ForeignKey(Author, models.CASCADE)
    book = models.ForeignKey(Book, models.RESTRICT)


class Shelf(models.Model):
    # A key over two columns that Django follows (its delete() cascades
    # through it) with no constraint in the database: a row whose pair names
    # no book stays.
    book_ref = models.IntegerField()
    author_ref = models.IntegerField()
    book = models.ForeignObject(
        Book, models.CASCADE, from_fields=["book_ref", "author_ref"], to_fields=["id", "author"]
    )


class Audit(models.Model):
    # No constraint: Django and fkpurge both leave a dangling author_id.
    author = models.ForeignKey(Author, models.DO_NOTHING, db_constraint=False)


class Badge(models.Model):
    author = models.ForeignKey(Author, models.CASCADE, to_field="code")


class Place(models.Model):
    owner = models.ForeignKey(Author, models.CASCADE)


class Restaurant(Place):
    seats = models.IntegerField(default=0)


class Note(models.Model):
    content_type = models.ForeignKey(ContentType, models.CASCADE)
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")
