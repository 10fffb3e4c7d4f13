"""scripts/benchdjango — the Django row of scripts/bench: the shop of
examples/bench.yaml as Django models on the tables scripts/shop-pg.sql made, and
QuerySet.delete() of the customers the benchmark purges. See purge.py."""
