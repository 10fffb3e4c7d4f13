"""The shop of examples/bench.yaml as Django models, on the tables that
scripts/shop-pg.sql creates (managed = False: Django never creates or alters
them). Every column is declared, as an application would, so the rows Django
loads to run its cascade are whole rows. on_delete mirrors the model's
policies: cascade -> CASCADE, set_null -> SET_NULL. Change the two together.
"""

from django.db import models


class Customer(models.Model):
    id = models.BigIntegerField(primary_key=True)
    name = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "customer"


class Address(models.Model):
    id = models.BigIntegerField(primary_key=True)
    customer = models.ForeignKey(Customer, models.CASCADE, db_column="customer_id",
                                 related_name="addresses")
    line = models.TextField()

    class Meta:
        managed = False
        db_table = "address"


class Order(models.Model):
    id = models.BigIntegerField(primary_key=True)
    customer = models.ForeignKey(Customer, models.CASCADE, db_column="customer_id",
                                 related_name="orders")
    ship_to = models.ForeignKey(Address, models.SET_NULL, db_column="ship_to", null=True,
                                related_name="shipped_orders")
    total_cents = models.IntegerField()

    class Meta:
        managed = False
        db_table = "order"


class OrderLine(models.Model):
    id = models.BigIntegerField(primary_key=True)
    order = models.ForeignKey(Order, models.CASCADE, db_column="order_id", related_name="lines")
    sku = models.TextField()
    quantity = models.IntegerField()

    class Meta:
        managed = False
        db_table = "order_line"


class Payment(models.Model):
    id = models.BigIntegerField(primary_key=True)
    order = models.ForeignKey(Order, models.SET_NULL, db_column="order_id", null=True,
                              related_name="payments")
    amount_cents = models.IntegerField()

    class Meta:
        managed = False
        db_table = "payment"


class Note(models.Model):
    id = models.BigIntegerField(primary_key=True)
    customer = models.ForeignKey(Customer, models.CASCADE, db_column="customer_id",
                                 related_name="notes")
    reply_to = models.ForeignKey("self", models.CASCADE, db_column="reply_to", null=True,
                                 related_name="replies")
    body = models.TextField()

    class Meta:
        managed = False
        db_table = "note"
