"""The journeys: one module per journey, the router that picks one, and the dialog state they share."""
