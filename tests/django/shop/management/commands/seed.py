"""manage.py seed: the rows of tests/e2e/django.bash, made through the ORM.
Authors 1 (the placeholder), 2 and 3 stay; 4 and 5 are purged. Every key of a
purged author's rows is reached: cascades (also through to_field, the parent
link, the many-to-many table, a reply chain and a two-column ForeignObject), SET_NULL, SET_DEFAULT, SET(1),
RESTRICT met by a cascade, DO_NOTHING without a constraint, and a generic note
left pointing at a purged book."""

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import transaction

from shop import models as m


class Command(BaseCommand):
    help = "Fill the shop with the test's rows."

    @transaction.atomic
    def handle(self, *args, **options):
        authors = [m.Author.objects.create(code="a%d" % i) for i in range(1, 6)]
        tags = [m.Tag.objects.create(name="t%d" % i) for i in range(1, 4)]
        books = []
        for i, author in enumerate(authors[1:], start=1):
            for j in range(2):
                other = authors[(i + j) % 5]
                book = m.Book.objects.create(author=author, translator=other, editor=authors[1 + j])
                book.tags.set(tags[: 1 + (i + j) % 3])
                books.append(book)
                m.Edition.objects.create(book=book)
                parent = None
                for _ in range(3):
                    parent = m.Review.objects.create(book=book, reply_to=parent)
                # A reply under another author's book's review.
                m.Review.objects.create(book=books[0], reply_to=parent)
                m.Song.objects.create(author=author, book=book)
                # One on the book's shelf (author and book match), one whose
                # pair matches no book: only the first goes with the book.
                m.Shelf.objects.create(book_ref=book.pk, author_ref=author.pk)
                m.Shelf.objects.create(book_ref=book.pk, author_ref=1)
        for author in authors[1:]:
            m.Loan.objects.create(author=author)
            m.Badge.objects.create(author=author)
            m.Audit.objects.create(author_id=author.pk)
            m.Place.objects.create(owner=author)
            m.Restaurant.objects.create(owner=author, seats=author.pk)
        m.Contract.objects.create(author=authors[1])
        book_type = ContentType.objects.get_for_model(m.Book)
        for book in books:
            m.Note.objects.create(content_type=book_type, object_id=book.pk)
        self.stdout.write("seeded")
