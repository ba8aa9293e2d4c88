"""What the gateway's migrations must produce."""

from services.gateway.orm import Base

target_metadata = [Base.metadata]
