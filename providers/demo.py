"""The demo clinic for `make run`: categories, services, ten providers with hours."""


def create_demo_clinic() -> None:
    raise NotImplementedError
