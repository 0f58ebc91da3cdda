"""The application file for spark-submit: its arguments are a `moneytrail` command line.

spark-submit [spark options] .../moneytrail/spark/_submit.py --engine spark -w WS ingest FILE
"""

from moneytrail.cli import main

if __name__ == "__main__":
    main()
