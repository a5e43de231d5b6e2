"""lending module: collateralised loans, repayment schedules, a price oracle, margin calls."""
