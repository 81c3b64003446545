"""iota: self-hosted AWS CloudTrail detection as an Apache Beam pipeline."""
from setuptools import find_packages, setup

setup(
    name="iota",
    version="0.1.0",
    description="Self-hosted CloudTrail detection engine on Apache Beam",
    python_requires=">=3.10",
    packages=find_packages(include=["pipeline", "pipeline.*", "transforms", "transforms.*", "rules", "rules.*"]),
    include_package_data=True,
    package_data={"rules": ["aws_cloudtrail/*.yml", "aws_cloudtrail/*.py", "helpers/*.py", "helpers/*/*.py"]},
    install_requires=[
        "apache-beam[aws]==2.77.0",
        "boto3==1.44.5",
        "pyarrow==25.0.1",
        "orjson==3.13.0",
        "fastavro==1.13.1",
        "requests==2.34.2",
        "PyYAML==6.0.3",
    ],
    extras_require={
        "test": ["pytest==9.2.0", "moto[server]==5.2.5", "duckdb==2.0.0"],
    },
    entry_points={"console_scripts": ["iota=pipeline.cli:main"]},
)
