"""drf-spectacular extensions: how our authentication appears in the OpenAPI schema.

Imported from UmcrConfig.ready() so the extension is registered before any schema is built.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "umcr.auth.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` from `POST /api/v1/auth/login/` (one per device).",
        }
