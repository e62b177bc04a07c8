from datetime import UTC, datetime

import factory
from django.contrib.auth import get_user_model

from tokentracker.models import Membership, Organization, Role
from tokentracker.services import plan_get_default

LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    plan = factory.LazyFunction(plan_get_default)
    community_data_opt_in = False
    # Opted in (when asked to be) long before any test's usage: the consent time the
    # settings service would have recorded.
    community_opted_in_at = factory.LazyAttribute(
        lambda o: LONG_AGO if o.community_data_opt_in else None
    )


class UserFactory(factory.django.DjangoModelFactory):
    """A person who signs in with their email, as sign-up creates them; password "pw"."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    username = factory.LazyAttribute(lambda u: u.email)
    first_name = "Pat"
    password = factory.django.Password("pw")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.MEMBER
