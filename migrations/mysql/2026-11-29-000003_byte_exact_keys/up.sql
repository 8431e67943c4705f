-- Keys compare byte for byte: utf8mb4_bin pads trailing spaces ("a" = "a "),
-- so keys become VARBINARY(255), which never pads and holds the 255 bytes of
-- UTF-8 a key may have (RecordKey). Existing keys keep their bytes; two keys
-- that differed only in trailing spaces could not have been stored before.
ALTER TABLE records MODIFY `key` VARBINARY(255) NOT NULL;
