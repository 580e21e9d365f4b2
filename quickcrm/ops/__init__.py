"""Operations (issue 30): copying and backing up the database, the doctor, logging."""
