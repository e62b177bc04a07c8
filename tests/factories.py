import factory

from tokentracker.models import Organization
from tokentracker.services import plan_get_default


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    plan = factory.LazyFunction(plan_get_default)
