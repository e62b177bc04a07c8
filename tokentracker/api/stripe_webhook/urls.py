"""Stripe's webhook, mounted at /api/stripe/ (tokentracker/urls.py): the URL operators give
Stripe's dashboard is https://<host>/api/stripe/webhook."""

from django.urls import path

from .views import StripeWebhookView

urlpatterns = [path("webhook", StripeWebhookView.as_view(), name="stripe-webhook")]
