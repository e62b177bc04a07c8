from datetime import UTC, datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from billing.models import BillingAccount, Invoice
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


# --- Stripe subscriptions (billing.models.subscriptions) -----------------------------------


class BillingAccountFactory(factory.django.DjangoModelFactory):
    """An organization's Stripe customer with no subscription yet; pass the subscription's
    fields to give it one."""

    class Meta:
        model = BillingAccount

    organization = factory.SubFactory(OrganizationFactory)
    stripe_customer_id = factory.Sequence(lambda n: f"cus_test{n:06d}")


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A paid invoice of $20.00, as Stripe issues a monthly Pro subscription's."""

    class Meta:
        model = Invoice

    organization = factory.SubFactory(OrganizationFactory)
    stripe_invoice_id = factory.Sequence(lambda n: f"in_test{n:06d}")
    number = factory.Sequence(lambda n: f"TT-{n:04d}")
    status = "paid"
    amount_due = Decimal("20.00")
    amount_paid = factory.LazyAttribute(lambda invoice: invoice.amount_due)
    currency = "usd"
    issued_at = LONG_AGO
    hosted_invoice_url = factory.LazyAttribute(
        lambda invoice: f"https://invoice.stripe.com/i/{invoice.stripe_invoice_id}"
    )
    invoice_pdf = factory.LazyAttribute(
        lambda invoice: f"https://pay.stripe.com/invoice/{invoice.stripe_invoice_id}/pdf"
    )
